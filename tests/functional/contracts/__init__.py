"""Adapter contracts: each store's tests in one base class, run on its fake and on moto."""
