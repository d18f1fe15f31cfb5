// mime module
