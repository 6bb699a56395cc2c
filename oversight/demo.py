def build(context):
    return {}
