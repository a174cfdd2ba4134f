"""Merchant Console: bePaid / beGateway and Payture bills in one Streamlit console."""

__version__ = "0.1.0"
