"""Write N valid transfer reports, one JSON per line, for the load generator.
The beneficiary IBAN is a placeholder that post.lua fills with a new IBAN
for every request, as in real traffic where few reports share one."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from reports import transfer  # noqa: E402

n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        f.write(json.dumps(transfer(amount=f"{500 + i % 9000}.00", creditor_iban="@@CREDITOR@@"), ensure_ascii=False) + "\n")
