"""`branddocs diff`: what each brand's readers will see differently after a change."""
