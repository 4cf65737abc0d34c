"""Inventory use cases: devices, credentials, links, pools, import/export."""
