"""The enterprise desk (/desk): pages for the organizations that sign statements."""
