# PixContrast (arXiv 2011.10043, eq. 2): ResNet-50 C5, pixel InfoNCE with τ = 0.3, no PPM.
_base_ = ['pixpro_r50.py']
model = dict(
    type='PixContrast',
    pixel_head=dict(_delete_=True, type='PixContrastHead', pos_threshold=0.7, temperature=0.3),
)
