# python_bench: an API Gateway (REST, Lambda proxy integration) handler as a real service writes one: an
# order checkout that parses the JSON body, validates and prices the lines, keys the order by a digest,
# logs one line and answers a proxy response whose body is JSON (events/api_gateway_proxy.json).
import hashlib
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)

TAX_RATE = {'US': 0.0725, 'DE': 0.19, 'FR': 0.20}


def error(status, message):
    return {'statusCode': status, 'headers': {'Content-Type': 'application/json'},
            'body': json.dumps({'message': message})}


def handler(event, context):
    if event.get('httpMethod') != 'POST':
        return error(405, 'method not allowed')
    try:
        order = json.loads(event.get('body') or '{}')
    except ValueError:
        return error(400, 'the body is not JSON')
    claims = event.get('requestContext', {}).get('authorizer', {}).get('claims', {})
    customer = claims.get('sub') or order.get('customer', {}).get('id')
    if not customer:
        return error(401, 'no customer')
    lines = []
    subtotal = 0.0
    for item in order.get('items', []):
        sku = item.get('sku', '').strip().upper()
        quantity = int(item.get('quantity', 1))
        price = float(item.get('unit_price', 0))
        if not sku or quantity <= 0:
            return error(422, 'bad line: %r' % (item,))
        amount = round(quantity * price, 2)
        subtotal += amount
        lines.append({'sku': sku, 'quantity': quantity, 'amount': amount})
    country = order.get('shipping', {}).get('country', 'US').upper()
    tax = round(subtotal * TAX_RATE.get(country, 0.0), 2)
    coupon = (order.get('coupon') or '').lower()
    discount = round(subtotal * 0.1, 2) if coupon.startswith('save10') else 0.0
    key = '%s|%s|%s' % (customer, event['requestContext'].get('requestId', ''), ','.join(l['sku'] for l in lines))
    order_id = hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]
    logger.info('order %s for %s: %d lines, %.2f %s', order_id, customer, len(lines), subtotal,
                order.get('currency', 'USD'))
    answer = {
        'orderId': order_id,
        'customer': customer,
        'lines': lines,
        'subtotal': round(subtotal, 2),
        'tax': tax,
        'discount': discount,
        'total': round(subtotal + tax - discount, 2),
        'currency': order.get('currency', 'USD'),
        'status': 'accepted',
    }
    return {
        'statusCode': 201,
        'headers': {'Content-Type': 'application/json', 'Location': '/orders/' + order_id},
        'body': json.dumps(answer),
    }
