"""The `qa serve` page's static files: HTML, CSS and JavaScript, loaded from this machine only."""
