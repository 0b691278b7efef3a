"""Folium map builders. Each returns a folium.Map; no Flask, no file I/O."""
