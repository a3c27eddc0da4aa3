def name():
    return 'probe-sdk-client'
