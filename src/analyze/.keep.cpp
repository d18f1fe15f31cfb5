// analyze module
