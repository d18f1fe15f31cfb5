// store module
