#!/usr/bin/python3
"""Read an HTML page with Python's html.parser and print, as JSON, its
tables (by id: a list of rows, each a list of cell texts, header row
first), its <dl> lists (by id: a list of [term, value]) and the tags it
uses with the attributes that could load something (src, href).

usage: html_tables.py PAGE.html"""
import html.parser
import json
import sys


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.dls, self.tags, self.loads = {}, {}, set(), []
        self.table = self.row = self.cell = self.dl = self.item = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for k in ("src", "href"):
            if k in a:
                self.loads.append([tag, k, a[k]])
        if tag == "table":
            self.table = self.tables.setdefault(a.get("id", ""), [])
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
        elif tag == "dl":
            self.dl = self.dls.setdefault(a.get("id", ""), [])
        elif tag == "dt" and self.dl is not None:
            self.item = [""]
        elif tag == "dd" and self.item is not None:
            self.item.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.table.append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None
        elif tag == "dd" and self.item is not None:
            self.dl.append([s.strip() for s in self.item])
            self.item = None
        elif tag == "dl":
            self.dl = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        elif self.item is not None:
            self.item[-1] += data


p = Page()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.close()
json.dump({"tables": p.tables, "dls": p.dls, "tags": sorted(p.tags), "loads": p.loads}, sys.stdout, ensure_ascii=False)
