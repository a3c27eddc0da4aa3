# Unit tests of function/orders.py with Python's unittest: `lambda_py27_testing` (an extension module of
# lambda-py27) runs the handler in this interpreter exactly as the runtime would, context object,
# JSON encoding, error bodies and log lines included.
#
#   PYTHONPATH=<dir of lambda_py27_testing.so> python2.7 -m unittest discover -s examples/handler-test -p 'test_*.py'
import os
import unittest

import lambda_py27_testing as lt

FUNCTION = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'function')


class OrdersTest(unittest.TestCase):
    def test_totals_the_items(self):
        r = lt.invoke('orders.total', {'items': [{'price': 2.5, 'quantity': 2}, {'price': 1.1}]},
                      task_root=FUNCTION, request_id='req-1')
        self.assertTrue(r.success, r.body)
        self.assertEqual(r.body, '{"currency": "EUR", "total": 6.1, "request_id": "req-1"}')
        self.assertEqual(r.response, {u'currency': u'EUR', u'total': 6.1, u'request_id': u'req-1'})
        self.assertIsNone(r.error)
        self.assertIsNone(r.exit_status)
        self.assertIn('[INFO]', r.log)
        self.assertIn('\treq-1\torder of 2 items: 6.1\n', r.log)

    def test_takes_the_event_as_json_text_too(self):
        r = lt.invoke('orders.total', '{"items": [{"price": 3}], "currency": "USD"}', task_root=FUNCTION)
        self.assertEqual(r.response['total'], 3)
        self.assertEqual(r.response['currency'], u'USD')

    def test_rejects_an_order_without_items_with_the_legacy_error_body(self):
        r = lt.invoke('orders.total', {}, task_root=FUNCTION)
        self.assertFalse(r.success)
        self.assertIsNone(r.response)
        self.assertEqual(r.error['errorType'], u'InvalidOrder')
        self.assertEqual(r.error['errorMessage'], u'an order needs items')
        self.assertTrue(r.error['stackTrace'])
        self.assertIn('an order needs items: InvalidOrder', r.log)
        self.assertIn('InvalidOrder', r.xray_cause)

    def test_an_explicit_function_reports_a_missing_module(self):
        fn = lt.Function('missing.total', task_root=FUNCTION)
        self.assertEqual(fn.fault, "Unable to import module 'missing'")
        r = fn.invoke({})
        self.assertFalse(r.success)
        self.assertEqual(r.error, {u'errorMessage': u"Unable to import module 'missing'"})


if __name__ == '__main__':
    unittest.main()
