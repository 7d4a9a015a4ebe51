"""wordbridge.text"""
