"""Code the three tools share: file writing, errors, the site's layout."""
