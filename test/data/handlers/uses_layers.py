def handler(event, context):
    import layer_mod
    import layer_site_mod
    return [layer_mod.VALUE, layer_site_mod.VALUE]
