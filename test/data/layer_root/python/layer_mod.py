VALUE = 'from /opt/python'
