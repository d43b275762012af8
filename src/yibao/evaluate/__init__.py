"""Performance evaluation: frameworks as dated YAML, scoring, grades, deviation drafts."""
