/** The requests the benchmark and the memory check send: what mail clients send on the hot paths. */
export const POX_BODY =
  '<?xml version="1.0" encoding="utf-8"?>\r\n' +
  '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">\r\n' +
  '  <Request>\r\n' +
  '    <EMailAddress>fred@example.com</EMailAddress>\r\n' +
  '    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\r\n' +
  '  </Request>\r\n' +
  '</Autodiscover>\r\n';

/** Each probe names the ceiling it is compared with, and what its answer must contain. */
export const PROBES = [
  { name: 'GET autoconfig, with address', ceiling: 'GET', method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=fred%40example.com', host: 'autoconfig.example.com', status: 200, contains: '</clientConfig>' },
  { name: 'GET autoconfig, no address', ceiling: 'GET', method: 'GET', path: '/.well-known/autoconfig/mail/config-v1.1.xml', host: 'autoconfig.example.com', status: 200, contains: '</clientConfig>' },
  { name: 'POST POX autodiscover', ceiling: 'POST', method: 'POST', path: '/autodiscover/autodiscover.xml', host: 'autodiscover.example.com', body: POX_BODY, status: 200, contains: '<Action>settings</Action>' },
  { name: 'GET v2 JSON', ceiling: 'GET', method: 'GET', path: '/autodiscover/autodiscover.json/v1.0/fred@example.com?Protocol=AutodiscoverV1', host: 'autodiscover.example.com', status: 200, contains: '"AutodiscoverV1"' },
  { name: 'GET mobileconfig', ceiling: 'GET', method: 'GET', path: '/mobileconfig?emailaddress=fred%40example.com', host: 'example.com', status: 200, contains: '</plist>' },
  { name: 'GET unknown domain', ceiling: 'GET', method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=fred%40unknown.invalid', host: 'autoconfig.unknown.invalid', status: 404, contains: 'No configuration' },
  { name: 'POST POX, unknown domain', ceiling: 'POST', method: 'POST', path: '/autodiscover/autodiscover.xml', host: 'autodiscover.unknown.invalid', body: POX_BODY.replace('fred@example.com', 'fred@unknown.invalid'), status: 200, contains: '<ErrorCode>500</ErrorCode>' },
  // What scanners ask every web server for.
  { name: 'GET a path we do not serve', ceiling: 'GET', method: 'GET', path: '/wp-login.php', host: 'autoconfig.example.com', status: 404, contains: 'Not found' },
];
