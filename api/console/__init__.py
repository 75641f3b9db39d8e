"""The regulator's console (/console): pages for market supervision bureaus."""
