"""(issue 12: this module's pages are being built; see /work/wt/BRIEF.md)"""
