// dns module
