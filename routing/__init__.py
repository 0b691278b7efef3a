"""Road networks and routing on OpenStreetMap data. Knows nothing about clients or Flask."""
