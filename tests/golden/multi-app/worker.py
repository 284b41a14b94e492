print('w')
