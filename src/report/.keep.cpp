// report module
