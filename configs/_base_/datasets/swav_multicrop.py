# SwAV's multi-crop (arXiv 2006.09882, Sec. 3.2 and App. A.1): 2 crops of 224 px covering
# 14-100 % of the image and 6 of 96 px covering 5-14 %, each with flip, colour distortion of
# strength 1 (jitter 0.8, 0.8, 0.8, 0.2 with p 0.8, grayscale p 0.2) and Gaussian blur p 0.5.
# One MultiView pipeline per crop size, large crops first (SwAVPretext's num_crops order);
# every crop records its box, so box-reading pretexts compose on the same views.
_base_ = ['pixpro_pretrain.py']
large_size, small_size = 224, 96
num_crops = (2, 6)


def crop_pipeline(size, scale):
    return [
        dict(type='RandomResizedCropWithCoord', size=size, scale=scale),
        dict(type='RandomFlipWithCoord', prob=0.5),
        dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2,
             prob=0.8),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
             channel_weights=(0.114, 0.587, 0.299)),  # BGR luma weights
        dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
    ]


train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView',
         transforms=[crop_pipeline(large_size, (0.14, 1.0)),
                     crop_pipeline(small_size, (0.05, 0.14))],
         num_views=list(num_crops)),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(batch_size=32,  # per GPU; 8 GPUs = 256 as the paper's queue recipe
                        dataset=dict(pipeline=train_pipeline))
