SELECT 'é日😀' FRM t;
