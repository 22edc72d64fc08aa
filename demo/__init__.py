"""The demo county: data for a newcomer and the benchmarks, never part of the product.

Each module here is a step of :data:`demo.context.DEMO_STEPS`, named after the app whose
data it writes (through that app's services, where a user would).
"""
