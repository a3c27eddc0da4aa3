# What a function sees of its environment at import and when invoked (python_function_test.cpp).
import os

STAGE_AT_IMPORT = os.environ.get('STAGE')


def handler(event, context):
    return [STAGE_AT_IMPORT, os.environ.get('STAGE')]
