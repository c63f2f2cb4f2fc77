import { describe, expect, it } from 'vitest';
import { xmlProblem } from './xml.ts';

describe('xmlProblem', () => {
  it('accepts well-formed documents', () => {
    const documents = [
      '<svg/>',
      '<?xml version="1.0"?>\n<!-- a chart -->\n<svg xmlns="http://www.w3.org/2000/svg"><g a=\'1 > 0\'><text>a &amp; b &#215; &#x2192;</text></g></svg>\n',
      '<svg><style><![CDATA[ a < b ]]></style><path d="M0,0"/></svg>',
    ];

    for (const document of documents) expect(xmlProblem(document)).toBeUndefined();
  });

  it('names the problem and where it is', () => {
    const cases: [string, string][] = [
      ['<svg><g></svg>', '</svg> closes <g> at line 1, column 9'],
      ['<svg>\n<g>', '<g> is never closed'],
      ['<svg><text>a & b</text></svg>', 'a bare "&" (write &amp;) at line 1, column 12'],
      ['<svg><text>&nbsp;</text></svg>', 'unknown entity "&nbsp;"'],
      ['<svg width=10></svg>', '<svg>: malformed attributes near "width=10"'],
      ['<svg a="1" a="2"></svg>', 'attribute "a" appears twice'],
      ['<svg a="<"></svg>', 'attribute "a" contains "<"'],
      ['<svg></svg><svg></svg>', 'a second root element <svg>'],
      ['<svg></svg>trailing', 'text outside the root element'],
      ['</svg>', 'closing tag </svg> without an opening tag'],
      ['<svg><!-- open', 'unterminated comment'],
      ['<svg><path d="M0,0"', 'unterminated tag'],
      ['', 'no root element'],
    ];

    for (const [document, problem] of cases) expect(xmlProblem(document), document).toContain(problem);
  });
});
