"""wordbridge.devise"""
