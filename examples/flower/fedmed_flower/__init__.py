"""fedmed-flower: Flower's FedAvg over hospitals running `fedmed node`."""
