"""Reports: the official documents (docx, xlsx, html, pdf) and the checker for anyone's report."""
