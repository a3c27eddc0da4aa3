# A stand-in for the SDK a bundle ships with EXTRA_PACKAGES (boto3 on the legacy runtime).
from probe_sdk import client

VERSION = '1.2.3'


def describe():
    return {'version': VERSION, 'file': __file__, 'client': client.name()}
