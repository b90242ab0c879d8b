"""Self-contained HTML reports (Plotly inlined, opens offline) in English and German."""
