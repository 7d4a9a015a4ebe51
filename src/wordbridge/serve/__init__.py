"""wordbridge.serve"""
