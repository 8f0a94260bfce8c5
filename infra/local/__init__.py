"""The local stack behind `make run`: moto, the resources, demo data, `chalice local`, the pump."""
