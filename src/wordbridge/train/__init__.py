"""wordbridge.train"""
