"""Image files by content: Meta's image ad specs, checked before anything is uploaded."""
