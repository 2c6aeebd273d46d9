/**
 * The tests' plist reader against Apple's XML plist format: a document laid out the way
 * Apple's tools write one (tabs, base64 data broken into lines, nested dicts), every value
 * type, XML escapes of every kind, and the malformed documents it must refuse. The profile
 * tests trust what it reads, so it is checked on its own here.
 */
import { readPlist } from './support/plist-reader';

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n';

const plist = (body: string) => `${HEADER}<plist version="1.0">\n${body}\n</plist>\n`;

// As plutil -convert xml1 writes a profile: tab indents, data in lines of 52 characters.
const APPLE_DOCUMENT = plist(`<dict>
	<key>PayloadContent</key>
	<array>
		<dict>
			<key>PayloadCertificateFileName</key>
			<string>Tom &amp; Jerry&apos;s &lt;CA&gt; &quot;root&quot;.cer</string>
			<key>PayloadContent</key>
			<data>
			AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUm
			JygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xN
			Tk9Q
			</data>
			<key>PayloadVersion</key>
			<integer>1</integer>
			<key>Weight</key>
			<real>-2.5e3</real>
			<key>Enabled</key>
			<true/>
			<key>Removable</key>
			<false/>
			<key>Nested</key>
			<dict>
				<key>Empty</key>
				<dict/>
				<key>List</key>
				<array>
					<string></string>
					<string/>
					<integer>-42</integer>
				</array>
			</dict>
		</dict>
	</array>
	<key>PayloadExpirationDate</key>
	<date>2031-12-31T23:59:59Z</date>
	<key>Zebra</key>
	<string>last in the file, so last here: key order is kept</string>
	<key>Aardvark</key>
	<string>jörg &#233;&#xE9; 用户 😀 <![CDATA[<raw & "unescaped">]]><!-- not text --></string>
</dict>`);

describe('reads what Apple writes', () => {
  test('every value type, escapes, base64 with whitespace, nested dicts, key order', () => {
    const value = readPlist(Buffer.from(APPLE_DOCUMENT, 'utf8')) as any;
    expect(Object.keys(value)).toEqual(['PayloadContent', 'PayloadExpirationDate', 'Zebra', 'Aardvark']);
    const [payload] = value.PayloadContent;
    expect(Object.keys(payload)).toEqual(['PayloadCertificateFileName', 'PayloadContent', 'PayloadVersion', 'Weight', 'Enabled', 'Removable', 'Nested']);
    expect(payload.PayloadCertificateFileName).toBe(`Tom & Jerry's <CA> "root".cer`);
    expect(Buffer.isBuffer(payload.PayloadContent)).toBe(true);
    expect([...payload.PayloadContent]).toEqual(Array.from({ length: 81 }, (_, index) => index));
    expect(payload.PayloadVersion).toBe(1);
    expect(payload.Weight).toBe(-2500);
    expect(payload.Enabled).toBe(true);
    expect(payload.Removable).toBe(false);
    expect(payload.Nested).toEqual({ Empty: {}, List: ['', '', -42] });
    expect(value.PayloadExpirationDate).toEqual(new Date(Date.UTC(2031, 11, 31, 23, 59, 59)));
    expect(value.Aardvark).toBe('jörg éé 用户 😀 <raw & "unescaped">');
  });

  test('the document may be bytes or text, with CRLF line ends, a BOM, comments, no DOCTYPE', () => {
    const crlf = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- made by hand -->\r\n<plist version="1.0"><array><string>a\r\nb\rc&#13;</string></array></plist>\r\n`;
    expect(readPlist(crlf)).toEqual(['a\nb\nc\r']);
    expect(readPlist(Buffer.from(crlf, 'utf8'))).toEqual(['a\nb\nc\r']);
  });

  test('a key like __proto__ is a key like any other', () => {
    const value = readPlist(plist('<dict><key>__proto__</key><string>x</string><key>constructor</key><integer>1</integer></dict>')) as any;
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.__proto__).toBe('x');
  });
});

describe('refuses what is not a plist', () => {
  test.each([
    ['not XML at all', 'hello', 'expected an element'],
    ['an empty document', '', 'expected an element'],
    ['another root element', `${HEADER}<dict/>`, 'the root element is <dict>'],
    ['a plist of another version', `${HEADER}<plist version="2.0"><true/></plist>`, 'only version 1.0'],
    ['an empty plist', `${HEADER}<plist version="1.0"></plist>`, 'expected an element'],
    ['two values in the plist', plist('<true/><false/>'), 'expected </plist>'],
    ['content after the root', `${plist('<true/>')}<plist/>`, 'content after the root element'],
    ['a mismatched end tag', plist('<dict><key>a</key><string>x</dict></string>'), 'expected </string>'],
    ['an unclosed element', `${HEADER}<plist version="1.0"><array><string>x</string>`, 'expected an element'],
    ['a bare ampersand', plist('<string>Tom & Jerry</string>'), '"&" that starts no reference'],
    ['an unknown entity', plist('<string>&nbsp;</string>'), 'unknown entity &nbsp;'],
    ['a reference to a non-character', plist('<string>&#0;</string>'), '&#0; is not an XML character'],
    ['a control character', plist('<string>\u0001</string>'), 'U+0001 is not allowed'],
    ['"]]>" in text', plist('<string>a]]>b</string>'), '"]]>" in text'],
    ['"--" in a comment', plist('<!-- a -- b --><true/>'), '"--" inside a comment'],
    ['an unknown element', plist('<foo>1</foo>'), '<foo> is not a plist value'],
    ['an element inside a string', plist('<string>a<b/>c</string>'), 'expected </string>'],
    ['text between the values of an array', plist('<array>junk<true/></array>'), 'expected an element'],
    ['a value without its key', plist('<dict><string>x</string></dict>'), 'where a <key> belongs'],
    ['a key without its value', plist('<dict><key>a</key></dict>'), 'key "a" has no value'],
    ['a key twice', plist('<dict><key>a</key><true/><key>a</key><false/></dict>'), 'key "a" twice'],
    ['a key outside a dict', plist('<array><key>a</key></array>'), '<key> is not a plist value'],
    ['a fraction as integer', plist('<integer>1.5</integer>'), 'not a decimal integer'],
    ['hex as integer', plist('<integer>0x10</integer>'), 'not a decimal integer'],
    ['an empty integer', plist('<integer/>'), 'not a decimal integer'],
    ['an integer beyond 2^53', plist('<integer>9007199254740993</integer>'), 'beyond what a test can compare'],
    ['words as real', plist('<real>one</real>'), 'is not a number'],
    ['a date without its zone', plist('<date>2031-12-31T23:59:59</date>'), 'is not YYYY-MM-DDTHH:MM:SSZ'],
    ['a date that does not exist', plist('<date>2031-02-30T00:00:00Z</date>'), 'is no such date'],
    ['data that is not base64', plist('<data>AAE*</data>'), '<data> is not base64'],
    ['data with broken padding', plist('<data>AAE=A</data>'), '<data> is not base64'],
    ['true with content', plist('<true>yes</true>'), 'expected </true>'],
    ['an attribute on a value', plist('<string lang="en">x</string>'), '<string> takes no attributes'],
    ['an unquoted attribute', `${HEADER}<plist version=1.0><true/></plist>`, 'attribute version is not quoted'],
    ['a DOCTYPE with an internal subset', '<!DOCTYPE plist [<!ENTITY x "y">]><plist version="1.0"><string>&x;</string></plist>', 'a DOCTYPE other than'],
    ['an encoding other than UTF-8', '<?xml version="1.0" encoding="ISO-8859-1"?><plist version="1.0"><true/></plist>', 'not an XML declaration for UTF-8'],
  ])('%s', (_name, document, reason) => {
    expect(() => readPlist(document)).toThrow(`not a valid XML plist: `);
    expect(() => readPlist(document)).toThrow(reason);
  });

  test('bytes that are not UTF-8', () => {
    const latin1 = Buffer.concat([Buffer.from(plist('<string>').split('<string>')[0]!), Buffer.from('<string>j\xf6rg</string></plist>', 'latin1')]);
    expect(() => readPlist(latin1)).toThrow(/the bytes are not UTF-8/);
  });

  test('the error says where', () => {
    expect(() => readPlist(plist('<dict>\n<key>a</key>\n<string>x & y</string></dict>'))).toThrow(/"&" that starts no reference \(line 6, column \d+\)/);
  });
});
