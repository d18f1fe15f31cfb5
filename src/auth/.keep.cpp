// auth module
