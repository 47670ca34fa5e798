"""The exchange adapter: one interface to the exchange's back office, over HTTP or a demo ledger.

`get_adapter()` gives the process's adapter; pages read through `exchange.queries`, which never fails
because the exchange does. See adapter.py and docs/exchange-adapter.md.
"""

from __future__ import annotations

from watchkeeper.exchange.adapter import get_adapter

__all__ = ["get_adapter"]
