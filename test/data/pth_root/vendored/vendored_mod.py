VALUE = 'from vendored via .pth'
