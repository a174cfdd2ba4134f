"""The provider sandbox: an ASGI emulator of bePaid, beGateway (beyag) and Payture bills."""
