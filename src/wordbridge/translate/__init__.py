"""wordbridge.translate"""
