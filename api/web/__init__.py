"""What the regulator's console and the enterprise desk share: who is signed in, sessions and
CSRF, rendering pages."""
