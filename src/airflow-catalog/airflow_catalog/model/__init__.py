"""The catalog's data: frozen dataclasses, their JSON form, and the rules every stage shares."""
