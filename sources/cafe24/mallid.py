"""What a mall id may be. It becomes a host name (`{mall_id}.cafe24api.com`), a file name in the token store and
part of resource names, so anything but an identifier could send a request, and the client secret with it,
elsewhere, or write outside the store. Cafe24 ids are lowercase letters and digits; 63 is a DNS label's limit."""

from __future__ import annotations

import re

MALL_ID = re.compile(r"[a-z0-9]{1,63}")


def check_mall_id(mall_id: object) -> str:
    """The mall id as given, or ValueError saying what a mall id looks like."""
    if not isinstance(mall_id, str) or not MALL_ID.fullmatch(mall_id):
        shown = repr(mall_id)[:80].encode("ascii", "backslashreplace").decode()
        raise ValueError(
            f"mall id {shown} is not a Cafe24 mall id: lowercase letters and digits only, as in "
            "https://yourmall.cafe24.com (the part before .cafe24.com)"
        )
    return mall_id
