from html.parser import HTMLParser

from inpaint.evaluation.htmlpage import markdown_to_html


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_tables_lists_headings_and_escaping():
    md = ("# Summary\n\n| A | B |\n|:--|--:|\n| x_1 <b> | 2.5 |\n| y | 3 |\n\nNotes:\n\n"
          "1. first **bold**\n2. second `code`\n\n- item\n")
    page = markdown_to_html(md, "t")
    parser = Collect()
    parser.feed(page)
    assert parser.tags.count("tr") == 3
    assert parser.tags.count("td") == 4
    assert "ol" in parser.tags and "ul" in parser.tags and "h1" in parser.tags  # noqa: PT018
    assert '<td class="num">2.5</td>' in page
    assert "x_1 &lt;b&gt;" in page  # escaped, not a tag
    assert "<b>bold</b>" in page
    assert "<code>code</code>" in page
