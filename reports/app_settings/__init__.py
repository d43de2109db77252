"""An app's settings, help-center content, signing secret and integration page (issue 14b)."""
